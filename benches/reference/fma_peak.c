/* The f32 FMA peak of this CPU, measured: the ceiling to hold the gemm and training figures against.
 *
 *   gcc -O2 -march=native -pthread benches/reference/fma_peak.c -o /tmp/fma_peak && /tmp/fma_peak
 *
 * Each thread runs chains of independent vfmadd (AVX-512 zmm: 16 lanes; AVX2 ymm: 8 lanes) on 20
 * accumulators, more than FMA latency × FMA pipes on current x86 cores, so throughput, not latency,
 * bounds the loop. Prints GFLOP/s (2 FLOP per lane per FMA) at 1 and 2 threads, median of 7 runs of
 * about 0.3 s each. Run it on an otherwise idle machine, in the same window as the benches it is
 * compared with (the clock of a virtual CPU moves with the host's load). */
#include <immintrin.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#define ITERS 200000000L
#define ACC 20

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + 1e-9 * t.tv_nsec;
}

static float sink;

/* ACC independent chains acc = acc * a + b of vector type T, ITERS / 2 steps each. */
#define FMA_CHAINS(T, SET1, FMADD)                                        \
    T acc[ACC];                                                           \
    T a = SET1(0.999999f), b = SET1(1e-7f);                               \
    for (int i = 0; i < ACC; i++) acc[i] = SET1((float)i);                \
    for (long n = 0; n < ITERS / 2; n++) {                                \
        _Pragma("GCC unroll 20") for (int i = 0; i < ACC; i++) acc[i] = FMADD(acc[i], a, b); \
    }

#ifdef __AVX512F__
static void *run512(void *arg) {
    (void)arg;
    FMA_CHAINS(__m512, _mm512_set1_ps, _mm512_fmadd_ps)
    float s = 0;
    for (int i = 0; i < ACC; i++) s += _mm512_reduce_add_ps(acc[i]);
    sink += s;
    return NULL;
}
#endif

static void *run256(void *arg) {
    (void)arg;
    FMA_CHAINS(__m256, _mm256_set1_ps, _mm256_fmadd_ps)
    float buf[8], s = 0;
    for (int i = 0; i < ACC; i++) {
        _mm256_storeu_ps(buf, acc[i]);
        for (int j = 0; j < 8; j++) s += buf[j];
    }
    sink += s;
    return NULL;
}

static int cmp(const void *x, const void *y) {
    double a = *(const double *)x, b = *(const double *)y;
    return (a > b) - (a < b);
}

static void measure(const char *name, void *(*f)(void *), int lanes, int threads) {
    double g[7];
    for (int r = 0; r < 7; r++) {
        pthread_t t[2];
        double t0 = now();
        for (int i = 0; i < threads; i++) pthread_create(&t[i], NULL, f, NULL);
        for (int i = 0; i < threads; i++) pthread_join(t[i], NULL);
        double dt = now() - t0;
        g[r] = 2.0 * lanes * ACC * (double)(ITERS / 2) * threads / dt / 1e9;
    }
    qsort(g, 7, sizeof g[0], cmp);
    printf("fma-peak/%s/t%d  median %.1f GFLOP/s  (min %.1f, max %.1f)\n", name, threads, g[3], g[0], g[6]);
}

int main(void) {
    for (int threads = 1; threads <= 2; threads++) {
#ifdef __AVX512F__
        measure("avx512", run512, 16, threads);
#endif
        measure("avx2", run256, 8, threads);
    }
    return 0;
}
