/* The `__sync_*` atomics for ARMv5 Linux, which has no ldrex/strex: built on the
 * kernel's user helpers, as GCC's libgcc (config/arm/linux-atomic.c) does. zig's
 * compiler-rt leaves them out, and zig's own libc calls them (its malloc).
 * Clang refuses to define functions named like builtins, hence the asm labels. */

typedef int (*kuser_cmpxchg_fn)(int oldval, int newval, volatile int *ptr);
typedef void (*kuser_dmb_fn)(void);
#define kuser_cmpxchg (*(kuser_cmpxchg_fn)0xffff0fc0)
#define kuser_dmb (*(kuser_dmb_fn)0xffff0fa0)

/* Weak: zig's `cc -c` with an archive among its inputs puts the members an object needs
 * into that object, so every object of a library that uses atomics carries a copy, and
 * a program linking two of them must not see two strong definitions. */
#define EXPORT(name) __asm__(#name) __attribute__((used, weak, visibility("hidden")))

void sync_synchronize(void) EXPORT(__sync_synchronize);
void sync_synchronize(void) { kuser_dmb(); }

/* A word-aligned cmpxchg loop around `new = OP(old)`, for 4 bytes or a byte/halfword
 * inside its word (little endian). Returns the old value. */
static unsigned update(volatile void *ptr, unsigned size, unsigned op, unsigned arg,
                       unsigned expect, unsigned *ok) {
    volatile int *word = (volatile int *)((unsigned long)ptr & ~3ul);
    unsigned shift = ((unsigned long)ptr & 3u) * 8u;
    unsigned mask = size == 4 ? ~0u : ((1u << (size * 8u)) - 1u) << shift;
    for (;;) {
        unsigned cur = (unsigned)*word;
        unsigned old = (cur & mask) >> shift;
        unsigned val;
        switch (op) {
        case 0: val = old + arg; break;
        case 1: val = old - arg; break;
        case 2: val = old | arg; break;
        case 3: val = old & arg; break;
        case 4: val = old ^ arg; break;
        case 5: val = ~(old & arg); break;
        case 6: val = arg; break; /* exchange */
        default: /* compare and swap */
            if (old != (expect & (mask >> shift))) { *ok = 0; return old; }
            val = arg;
        }
        unsigned next = (cur & ~mask) | ((val << shift) & mask);
        if (kuser_cmpxchg((int)cur, (int)next, word) == 0) { *ok = 1; return old; }
    }
}

#define FETCH(NAME, OP, T, N)                                                          \
    T f_##NAME##_##N(volatile T *p, T v) EXPORT(__sync_fetch_and_##NAME##_##N);         \
    T f_##NAME##_##N(volatile T *p, T v) {                                              \
        unsigned ok; return (T)update(p, N, OP, (unsigned)v, 0, &ok); }                 \
    T a_##NAME##_##N(volatile T *p, T v) EXPORT(__sync_##NAME##_and_fetch_##N);         \
    T a_##NAME##_##N(volatile T *p, T v) {                                              \
        unsigned ok; T old = (T)update(p, N, OP, (unsigned)v, 0, &ok);                  \
        return OP == 5 ? (T)~(old & v) : OP == 0 ? (T)(old + v) : OP == 1 ? (T)(old - v) \
             : OP == 2 ? (T)(old | v) : OP == 3 ? (T)(old & v) : (T)(old ^ v); }

#define SIZE(T, N)                                                                     \
    FETCH(add, 0, T, N) FETCH(sub, 1, T, N) FETCH(or, 2, T, N)                         \
    FETCH(and, 3, T, N) FETCH(xor, 4, T, N) FETCH(nand, 5, T, N)                       \
    T x_##N(volatile T *p, T v) EXPORT(__sync_lock_test_and_set_##N);                  \
    T x_##N(volatile T *p, T v) { unsigned ok; return (T)update(p, N, 6, (unsigned)v, 0, &ok); } \
    void r_##N(volatile T *p) EXPORT(__sync_lock_release_##N);                         \
    void r_##N(volatile T *p) { kuser_dmb(); *p = 0; }                                 \
    T c_##N(volatile T *p, T o, T v) EXPORT(__sync_val_compare_and_swap_##N);          \
    T c_##N(volatile T *p, T o, T v) {                                                 \
        unsigned ok; return (T)update(p, N, 7, (unsigned)v, (unsigned)o, &ok); }        \
    _Bool b_##N(volatile T *p, T o, T v) EXPORT(__sync_bool_compare_and_swap_##N);     \
    _Bool b_##N(volatile T *p, T o, T v) {                                             \
        unsigned ok; update(p, N, 7, (unsigned)v, (unsigned)o, &ok); return ok; }

SIZE(unsigned char, 1)
SIZE(unsigned short, 2)
SIZE(unsigned int, 4)
