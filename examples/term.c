/* Looks up a terminal capability through terminfo. With ncurses' compiled-in fallbacks
 * this works in an empty FROM scratch image: no terminfo directory needed. */
#include <curses.h>
#include <term.h>
#include <stdio.h>

int main(void) {
    int err = 0;
    if (setupterm("xterm-256color", 1, &err) != OK) {
        fprintf(stderr, "setupterm failed: %d\n", err);
        return 1;
    }
    printf("xterm-256color colors=%d\n", tigetnum("colors"));
    return 0;
}
