#include <stdio.h>

int main(void) {
    puts("hello from a project");
    return 0;
}
