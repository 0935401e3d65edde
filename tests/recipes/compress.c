/* A compress/decompress round trip through each compression library, on one buffer:
 * prints each library's version and compressed size, exits 1 on any mismatch. */
#include <bzlib.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#define SIZE 100000

static int same(const char *name, const char *a, const char *b, size_t n, size_t packed) {
    if (memcmp(a, b, n) != 0) {
        printf("%s: round trip differs\n", name);
        return 0;
    }
    printf("%s: %d -> %zu -> %d ok\n", name, SIZE, packed, SIZE);
    return 1;
}

int main(void) {
    static char text[SIZE], back[SIZE], packed[SIZE * 2];
    for (int i = 0; i < SIZE; i++) text[i] = "muslbuild compresses "[i % 21] + (i / 997) % 3;
    int ok = 1;

    uLongf zlen = sizeof packed, zback = SIZE;
    ok &= compress2((Bytef *)packed, &zlen, (Bytef *)text, SIZE, 9) == Z_OK &&
          uncompress((Bytef *)back, &zback, (Bytef *)packed, zlen) == Z_OK && zback == SIZE &&
          same("zlib", text, back, SIZE, zlen);

    unsigned int blen = sizeof packed, bback = SIZE;
    ok &= BZ2_bzBuffToBuffCompress(packed, &blen, text, SIZE, 9, 0, 0) == BZ_OK &&
          BZ2_bzBuffToBuffDecompress(back, &bback, packed, blen, 0, 0) == BZ_OK &&
          bback == SIZE && same("bzip2", text, back, SIZE, blen);

    size_t xlen = 0, xin = 0, xout = 0;
    uint64_t limit = UINT64_MAX;
    ok &= lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, (uint8_t *)text, SIZE,
                                  (uint8_t *)packed, &xlen, sizeof packed) == LZMA_OK &&
          lzma_stream_buffer_decode(&limit, 0, NULL, (uint8_t *)packed, &xin, xlen,
                                    (uint8_t *)back, &xout, SIZE) == LZMA_OK &&
          xout == SIZE && same("xz", text, back, SIZE, xlen);

    /* Two worker threads: the library was built multi-threaded. */
    ZSTD_CCtx *cctx = ZSTD_createCCtx();
    size_t workers = ZSTD_CCtx_setParameter(cctx, ZSTD_c_nbWorkers, 2);
    size_t slen = ZSTD_compress2(cctx, packed, sizeof packed, text, SIZE);
    size_t sback = ZSTD_isError(slen) ? 0 : ZSTD_decompress(back, SIZE, packed, slen);
    ok &= !ZSTD_isError(workers) && !ZSTD_isError(slen) && sback == SIZE &&
          same("zstd", text, back, SIZE, slen);
    ZSTD_freeCCtx(cctx);

    printf("versions: zlib %s, bzip2 %s, xz %s, zstd %s\n", zlibVersion(), BZ2_bzlibVersion(),
           lzma_version_string(), ZSTD_versionString());
    return ok ? 0 : 1;
}
