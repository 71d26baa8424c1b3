/* dd_processor_thread — see dd_processor_thread.h. */
#include "dd_processor_thread.h"

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

struct dd_processor_thread {
    dd_processor *p;
    pthread_t tid;
    int started;
    volatile sig_atomic_t stop; /* read by dd_processor_run between polls */
    _Atomic int done;
    _Atomic int rc;
};

static void *run_main(void *arg)
{
    dd_processor_thread *t = arg;
    atomic_store(&t->rc, dd_processor_run(t->p, &t->stop));
    atomic_store(&t->done, 1);
    return NULL;
}

dd_processor_thread *dd_processor_thread_new(const dd_config *cfg, const dd_dataset *ds,
                                             char *errstr, size_t errlen)
{
    dd_processor_thread *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(errstr, errlen, "out of memory");
        return NULL;
    }
    t->p = dd_processor_new(cfg, ds, errstr, errlen);
    if (!t->p) {
        free(t);
        return NULL;
    }
    return t;
}

int dd_processor_thread_run(dd_processor_thread *t, char *errstr, size_t errlen)
{
    if (pthread_create(&t->tid, NULL, run_main, t)) {
        snprintf(errstr, errlen, "cannot start the processor thread");
        return -1;
    }
    t->started = 1;
    return 0;
}

dd_processor_thread *dd_processor_thread_start(const dd_config *cfg, const dd_dataset *ds,
                                               char *errstr, size_t errlen)
{
    dd_processor_thread *t = dd_processor_thread_new(cfg, ds, errstr, errlen);
    if (t && dd_processor_thread_run(t, errstr, errlen)) {
        dd_processor_thread_stop(t);
        return NULL;
    }
    return t;
}

dd_processor *dd_processor_thread_processor(dd_processor_thread *t)
{
    return t->p;
}

int dd_processor_thread_done(dd_processor_thread *t, int *rc)
{
    if (!atomic_load(&t->done))
        return 0;
    if (rc)
        *rc = atomic_load(&t->rc);
    return 1;
}

void dd_processor_thread_request_stop(dd_processor_thread *t)
{
    if (t)
        t->stop = 1;
}

int dd_processor_thread_stop(dd_processor_thread *t)
{
    if (!t)
        return 0;
    t->stop = 1;
    int rc = 0;
    if (t->started) {
        pthread_join(t->tid, NULL);
        rc = atomic_load(&t->rc);
    }
    dd_processor_destroy(t->p);
    free(t);
    return rc;
}
