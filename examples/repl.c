/* Reads lines with GNU readline and echoes each one back: the smallest program that needs
 * readline and, through it, ncurses' termcap functions. */
#include <stdio.h>
#include <stdlib.h>
#include <readline/readline.h>
#include <readline/history.h>

int main(void) {
    char *line;
    while ((line = readline("> ")) != NULL) {
        if (*line) {
            add_history(line);
        }
        printf("echo: %s\n", line);
        free(line);
    }
    return 0;
}
