// cgoadd calls a C function from Go: `muslbuild --cgo` links it statically against musl.
package main

/*
#include <stdio.h>

static int add(int a, int b) { return a + b; }

static const char *libc_name(void) {
#ifdef __GLIBC__
	return "glibc";
#else
	return "musl";
#endif
}
*/
import "C"

import "fmt"

func main() {
	fmt.Printf("cgo: 40+2=%d libc=%s\n", int(C.add(40, 2)), C.GoString(C.libc_name()))
}
