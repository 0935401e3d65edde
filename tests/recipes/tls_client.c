/* Connects to 127.0.0.1:PORT over TLS and verifies the server's certificate and name
 * against OpenSSL's default CA locations (no CA file named, no environment), sends a
 * line compressed with zlib's crc and prints what comes back. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

static int fail(const char *what) {
    fprintf(stderr, "tls_client: %s\n", what);
    ERR_print_errors_fp(stderr);
    return 1;
}

int main(int argc, char **argv) {
    if (argc != 3) {
        fprintf(stderr, "usage: tls_client PORT HOSTNAME\n");
        return 2;
    }
    SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
    if (!ctx) return fail("SSL_CTX_new");
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    if (SSL_CTX_set_default_verify_paths(ctx) != 1) return fail("no default CA locations");

    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons((unsigned short)atoi(argv[1]));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) != 0) return fail("connect");

    SSL *ssl = SSL_new(ctx);
    SSL_set_fd(ssl, fd);
    SSL_set_tlsext_host_name(ssl, argv[2]);
    SSL_set1_host(ssl, argv[2]);
    if (SSL_connect(ssl) != 1) return fail("handshake");
    if (SSL_get_verify_result(ssl) != X509_V_OK) return fail("certificate not verified");

    char line[64];
    const char *hello = "hello over tls";
    snprintf(line, sizeof line, "%s %08lx\n", hello, crc32(0, (const Bytef *)hello, (uInt)strlen(hello)));
    if (SSL_write(ssl, line, (int)strlen(line)) <= 0) return fail("write");
    char buf[256];
    int n = SSL_read(ssl, buf, sizeof buf - 1);
    if (n <= 0) return fail("read");
    buf[n] = 0;
    printf("%s %s verified against %s; server said: %s", SSL_get_version(ssl),
           SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)), X509_get_default_cert_file(), buf);
    SSL_shutdown(ssl);
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    close(fd);
    return 0;
}
