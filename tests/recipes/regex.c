/* Matches a regular expression with PCRE2, JIT-compiled where the library has a JIT,
 * and through the POSIX wrapper. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <pcre2posix.h>
#include <stdio.h>
#include <string.h>

int main(void) {
    const char *subject = "built for aarch64-linux-musl on 2026-12-07";
    int error;
    PCRE2_SIZE offset;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR) "(?<arch>\\w+)-linux-musl on (\\d{4})-(\\d\\d)",
                                   PCRE2_ZERO_TERMINATED, 0, &error, &offset, NULL);
    if (!re) return 1;
    uint32_t has_jit = 0;
    pcre2_config(PCRE2_CONFIG_JIT, &has_jit);
    int jit = has_jit && pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) == 0;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(re, NULL);
    int rc = pcre2_match(re, (PCRE2_SPTR)subject, strlen(subject), 0, 0, md, NULL);
    if (rc != 4) {
        printf("no match (%d)\n", rc);
        return 1;
    }
    PCRE2_UCHAR arch[32];
    PCRE2_SIZE len = sizeof arch;
    pcre2_substring_copy_byname(md, (PCRE2_SPTR) "arch", arch, &len);
    PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);

    regex_t posix;
    regmatch_t m[2];
    int posix_ok = regcomp(&posix, "([0-9]+)-12", REG_EXTENDED) == 0 &&
                   regexec(&posix, subject, 2, m, 0) == 0;
    regfree(&posix);
    printf("arch=%s year=%.*s jit=%s posix=%s\n", arch, (int)(ov[5] - ov[4]), subject + ov[4],
           jit ? "yes" : "no", posix_ok ? "yes" : "no");
    pcre2_match_data_free(md);
    pcre2_code_free(re);
    return posix_ok ? 0 : 1;
}
