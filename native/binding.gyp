{
  "targets": [
    {
      "target_name": "promptune_kernels",
      "sources": ["binding.c", "kernels.c"],
      "include_dirs": ["/usr/include/x86_64-linux-gnu/openblas-pthread", "/usr/include/openblas"],
      "libraries": ["-lopenblas", "-lm"],
      "cflags": ["-O3", "-march=x86-64-v2", "-mtune=native", "-fno-math-errno", "-std=c11", "-Wall"],
      "cflags!": ["-O2"]
    }
  ]
}
