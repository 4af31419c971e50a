/* mandel: the Mandelbrot set by a task farm with dynamic load balancing.
 *
 * The master hands out one row of the picture at a time. A worker that
 * sends back a row gets the next one at once, so the workers that draw
 * the cheap rows (far from the set, where points escape after a few
 * iterations) simply draw more of them: nobody waits for the slowest
 * block, as a static split into equal row blocks would. The master prints
 * how many rows each worker drew, writes the picture as a PPM file and
 * checks a checksum of its pixels against a serial computation.
 *
 *   mandel [nworkers [width [height [file.ppm]]]]
 *                               default: 4 480 360 mandel.ppm
 * The same program is the worker, started by the master with --worker. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pvm3.h"
#include "sibling.h"

#define MAXWORKERS 64
#define MAXITER 500
#define TAG_ROW 1  /* master -> worker: int row, width, height */
#define TAG_STOP 2 /* master -> worker: no more rows */
#define TAG_RESULT                                                             \
  3 /* worker -> master: int row, then width pixel bytes (RGB) */

/* The colour of pixel (x,y): black inside the set, outside a shade of the
 * number of iterations the point took to escape. */
static void pixel(int x, int y, int width, int height, unsigned char rgb[3]) {
  double cr = -2.2 + 3.2 * x / width, ci = -1.2 + 2.4 * y / height;
  double zr = 0, zi = 0;
  int it = 0;
  while (it < MAXITER && zr * zr + zi * zi <= 4.0) {
    double t = zr * zr - zi * zi + cr;
    zi = 2 * zr * zi + ci;
    zr = t;
    it++;
  }
  if (it == MAXITER) {
    rgb[0] = rgb[1] = rgb[2] = 0;
  } else {
    rgb[0] = (unsigned char)(it * 9 % 256);
    rgb[1] = (unsigned char)(it * 5 % 256);
    rgb[2] = (unsigned char)(255 - it * 3 % 256);
  }
}

static void draw_row(int y, int width, int height, unsigned char *row) {
  for (int x = 0; x < width; x++)
    pixel(x, y, width, height, row + 3 * x);
}

/* FNV-1a, 64 bits: a checksum of the picture's bytes. */
static uint64_t fnv1a(const unsigned char *p, size_t len) {
  uint64_t h = 14695981039346656037ULL;
  for (size_t i = 0; i < len; i++)
    h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

static int worker(void) {
  int master = pvm_parent(), v[3];
  unsigned char *row = NULL;

  for (;;) {
    int bufid = pvm_recv(master, -1), tag;
    if (bufid < 0)
      break;
    pvm_bufinfo(bufid, NULL, &tag, NULL);
    if (tag != TAG_ROW)
      break;
    pvm_upkint(v, 3, 1);
    if (v[1] < 1 || v[1] > 4000)
      break;
    if (!row && !(row = malloc(3 * (size_t)v[1])))
      break;
    draw_row(v[0], v[1], v[2], row);
    pvm_initsend(PvmDataDefault);
    pvm_pkint(v, 1, 1);
    pvm_pkbyte((char *)row, 3 * v[1], 1);
    pvm_send(master, TAG_RESULT);
  }
  free(row);
  pvm_exit();
  return 0;
}

/* Sends row y to worker tid. */
static void hand_out(int tid, int y, int width, int height) {
  int v[3] = {y, width, height};
  pvm_initsend(PvmDataDefault);
  pvm_pkint(v, 3, 1);
  pvm_send(tid, TAG_ROW);
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--worker") == 0)
    return worker();
  int nw = argc > 1 ? atoi(argv[1]) : 4, width = argc > 2 ? atoi(argv[2]) : 480;
  int height = argc > 3 ? atoi(argv[3]) : 360;
  const char *file = argc > 4 ? argv[4] : "mandel.ppm";
  int tids[MAXWORKERS], rows_by[MAXWORKERS] = {0};
  char path[PATH_MAX];
  char *wargs[] = {"--worker", NULL};

  if (nw < 1 || nw > MAXWORKERS || width < 1 || width > 4000 || height < nw ||
      height > 4000) {
    fprintf(stderr,
            "usage: mandel [nworkers 1..%d [width [height [file.ppm]]]]\n",
            MAXWORKERS);
    return 2;
  }
  if (pvm_mytid() < 0) {
    pvm_perror("mandel: is pvmd running?");
    return 1;
  }
  example_sibling("mandel", argv[0], path, sizeof path);
  int got = pvm_spawn(path, wargs, PvmTaskDefault, "", nw, tids);
  if (got < nw) {
    fprintf(stderr, "mandel: started %d of %d workers\n", got < 0 ? 0 : got,
            nw);
    for (int i = 0; i < got; i++)
      pvm_kill(tids[i]);
    pvm_exit();
    return 1;
  }
  size_t stride = 3 * (size_t)width, size = stride * (size_t)height;
  unsigned char *img = malloc(size), *ref = malloc(size);
  if (!img || !ref) {
    fprintf(stderr, "mandel: out of memory for a %dx%d picture\n", width,
            height);
    for (int w = 0; w < nw; w++)
      pvm_kill(tids[w]);
    pvm_exit();
    return 1;
  }

  /* Prime every worker with one row; then each returned row earns its
   * worker the next one, until there are none left. */
  int next = 0, done = 0;
  for (int w = 0; w < nw; w++)
    hand_out(tids[w], next++, width, height);
  while (done < height) {
    int bufid = pvm_recv(-1, TAG_RESULT), src, y, w;
    pvm_bufinfo(bufid, NULL, NULL, &src);
    pvm_upkint(&y, 1, 1);
    if (y < 0 || y >= height)
      break;
    pvm_upkbyte((char *)img + (size_t)y * stride, (int)stride, 1);
    done++;
    for (w = 0; w < nw && tids[w] != src; w++)
      ;
    if (w < nw)
      rows_by[w]++;
    if (next < height) {
      hand_out(src, next++, width, height);
    } else {
      pvm_initsend(PvmDataDefault);
      pvm_send(src, TAG_STOP);
    }
  }
  printf("mandel: %dx%d, rows drawn by each worker:", width, height);
  for (int w = 0; w < nw; w++)
    printf(" t%x:%d", tids[w], rows_by[w]);
  printf("\n");

  FILE *f = fopen(file, "wb");
  if (f) {
    fprintf(f, "P6\n%d %d\n255\n", width, height);
    fwrite(img, 1, size, f);
    fclose(f);
    printf("mandel: wrote %s\n", file);
  } else {
    perror(file);
  }
  for (int y = 0; y < height; y++)
    draw_row(y, width, height, ref + (size_t)y * stride);
  uint64_t sum = fnv1a(img, size), want = fnv1a(ref, size);
  int ok = done == height && sum == want;
  printf("mandel: %d workers, checksum %016llx, serial %016llx: %s\n", nw,
         (unsigned long long)sum, (unsigned long long)want,
         ok ? "same picture: OK" : "WRONG");
  free(img);
  free(ref);
  pvm_exit();
  return ok ? 0 : 1;
}
