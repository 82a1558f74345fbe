/* matmul_few_rows (few_rows.c): out (n, out_features) = inp (n, in_features) . weight^T for a few rows. */
#ifndef PROMPTUNE_FEW_ROWS_H
#define PROMPTUNE_FEW_ROWS_H
void matmul_few_rows(float *out, const float *inp, const float *weight, int n, int in_features, int out_features);
#endif
