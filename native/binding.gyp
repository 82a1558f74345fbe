{
  "variables": {
    "openblas_openmp%": "<!(test -e /usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so && echo 1 || echo 0)"
  },
  "targets": [
    {
      "target_name": "promptune_kernels",
      "sources": ["binding.c", "kernels.c", "few_rows.c", "rows.c", "backward.c", "dropout.c", "low_rank.c", "adam.c", "quantized.c", "quantized_intrinsics.c", "quantized_intrinsics512.c"],
      "cflags": ["-O3", "-march=x86-64-v2", "-mtune=native", "-fno-math-errno", "-ffp-contract=fast", "-fopenmp-simd", "-std=c11", "-Wall"],
      "cflags!": ["-O2"],
      "conditions": [
        [
          "openblas_openmp==1",
          {
            "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-openmp"],
            "cflags": ["-fopenmp"],
            "defines": ["PROMPTUNE_OPENMP=1"],
            "libraries": [
              "-L/usr/lib/x86_64-linux-gnu/openblas-openmp",
              "-Wl,-rpath,/usr/lib/x86_64-linux-gnu/openblas-openmp",
              "-lopenblas",
              "-fopenmp",
              "-lm"
            ]
          },
          {
            "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread", "/usr/include/openblas"],
            "libraries": ["-lopenblas", "-lm"]
          }
        ]
      ]
    }
  ]
}
