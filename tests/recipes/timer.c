/* A libevent loop with threads enabled: a 50 ms timer fires three times, then a
 * one-shot event ends the loop. */
#include <event2/event.h>
#include <event2/thread.h>
#include <stdio.h>

static int fired;

static void tick(evutil_socket_t fd, short what, void *arg) {
    (void)fd;
    (void)what;
    if (++fired == 3) event_base_loopbreak(arg);
}

int main(void) {
    if (evthread_use_pthreads() != 0) return 1;
    struct event_base *base = event_base_new();
    if (!base) return 1;
    struct event *timer = event_new(base, -1, EV_PERSIST, tick, base);
    struct timeval every = {0, 50000};
    event_add(timer, &every);
    struct timeval before, after;
    evutil_gettimeofday(&before, NULL);
    event_base_dispatch(base);
    evutil_gettimeofday(&after, NULL);
    long ms = (after.tv_sec - before.tv_sec) * 1000 + (after.tv_usec - before.tv_usec) / 1000;
    printf("libevent %s (%s): timer fired %d times in %s150 ms\n", event_get_version(),
           event_base_get_method(base), fired, ms >= 140 ? ">= " : "< ");
    event_free(timer);
    event_base_free(base);
    return fired == 3 && ms >= 140 ? 0 : 1;
}
