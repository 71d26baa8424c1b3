/*
 * dd_processor_thread — a dd_processor running on a thread of its own, for
 * the hosts that drive a stream in-process (`drgdip demo`, `drgdip bench`)
 * while their main thread produces events and watches the stats.
 *
 * start: dd_processor_new + a thread calling dd_processor_run; NULL with
 * errstr when either fails. done: 1 once dd_processor_run has returned
 * (*rc then holds its result), else 0. stop: asks the run to stop (finish
 * the batch, commit, leave the group), joins the thread, destroys the
 * processor and the handle; returns the run's result (0 ok, -1 fatal).
 * stop(NULL) is a no-op returning 0. The processor may be read (stats,
 * errstr) from the calling thread while it runs, as dd_processor allows.
 *
 * start = new (the processor, no thread yet: configure it, e.g.
 * dd_processor_set_reload) + run (the thread). request_stop asks the run to
 * stop without waiting; stop still joins. A handle from new that never ran
 * may be given to stop (it only destroys).
 */
#ifndef DD_PROCESSOR_THREAD_H
#define DD_PROCESSOR_THREAD_H

#include <stddef.h>

#include "dd_processor.h"

typedef struct dd_processor_thread dd_processor_thread;

dd_processor_thread *dd_processor_thread_start(const dd_config *cfg, const dd_dataset *ds,
                                               char *errstr, size_t errlen);
dd_processor_thread *dd_processor_thread_new(const dd_config *cfg, const dd_dataset *ds,
                                             char *errstr, size_t errlen);
int dd_processor_thread_run(dd_processor_thread *t, char *errstr, size_t errlen); /* 0 or -1 */
void dd_processor_thread_request_stop(dd_processor_thread *t);
dd_processor *dd_processor_thread_processor(dd_processor_thread *t);
int dd_processor_thread_done(dd_processor_thread *t, int *rc);
int dd_processor_thread_stop(dd_processor_thread *t);

#endif
