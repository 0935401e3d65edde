#include <stdio.h>
#include <stdlib.h>
#include <readline/readline.h>
#include <readline/history.h>
#include "prompt.h"

int main(void) {
    char *line;
    while ((line = readline(PROMPT)) != NULL) {
        add_history(line);
        printf("you said: %s\n", line);
        free(line);
    }
    return 0;
}
