/* zlib round trip: compresses stdin (or a built-in text), decompresses it again, and
 * checks that the bytes are the same. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

int main(void) {
    static unsigned char input[1 << 20];
    size_t len = fread(input, 1, sizeof input, stdin);
    if (len == 0) {
        const char *text = "muslbuild zlib round trip muslbuild zlib round trip\n";
        len = strlen(text);
        memcpy(input, text, len);
    }
    uLongf packed_len = compressBound(len);
    unsigned char *packed = malloc(packed_len);
    unsigned char *unpacked = malloc(len);
    if (!packed || !unpacked || compress2(packed, &packed_len, input, len, 9) != Z_OK) {
        fputs("compress failed\n", stderr);
        return 1;
    }
    uLongf unpacked_len = len;
    if (uncompress(unpacked, &unpacked_len, packed, packed_len) != Z_OK || unpacked_len != len ||
        memcmp(input, unpacked, len) != 0) {
        fputs("round trip failed\n", stderr);
        return 1;
    }
    printf("zlib %s: %lu bytes -> %lu -> %lu, ok\n", zlibVersion(), (unsigned long)len, (unsigned long)packed_len,
           (unsigned long)unpacked_len);
    return 0;
}
