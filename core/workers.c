/* galvani core — the worker pool. */
#include "metrics-internal.h"
#include "workers-internal.h"

#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

struct job {
    glv_work_fn work;
    glv_callback_fn done;
    void *arg;
    struct job *next;
};

struct job_queue {
    struct job *head, *tail;
};

struct glv_workers {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    struct job_queue queued;   /* waiting for a thread */
    struct job_queue finished; /* waiting for the loop */
    size_t pending;            /* queued + running + finished */
    bool stopping;
    unsigned nthreads;
    pthread_t *threads;
    struct event *completions;
    glv_metric *jobs_total;
};

static void queue_push(struct job_queue *q, struct job *j)
{
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
}

static struct job *queue_take_all(struct job_queue *q)
{
    struct job *all = q->head;
    q->head = q->tail = NULL;
    return all;
}

static void *worker_main(void *arg)
{
    glv_workers *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->queued.head && !w->stopping)
            pthread_cond_wait(&w->wake, &w->lock);
        if (w->stopping)
            break;
        struct job *j = w->queued.head;
        w->queued.head = j->next;
        if (!w->queued.head)
            w->queued.tail = NULL;
        pthread_mutex_unlock(&w->lock);
        j->work(j->arg);
        pthread_mutex_lock(&w->lock);
        queue_push(&w->finished, j);
        event_active(w->completions, EV_READ, 0);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void run_completions(evutil_socket_t fd, short what, void *arg)
{
    glv_workers *w = arg;
    pthread_mutex_lock(&w->lock);
    struct job *j = queue_take_all(&w->finished);
    pthread_mutex_unlock(&w->lock);
    while (j) {
        struct job *next = j->next;
        if (j->done)
            j->done(j->arg);
        pthread_mutex_lock(&w->lock);
        w->pending--;
        pthread_mutex_unlock(&w->lock);
        free(j);
        j = next;
    }
}

glv_workers *glv_workers_new(glv_core *core, unsigned threads)
{
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n < 2 ? 2 : (unsigned)n;
    }
    glv_workers *w = calloc(1, sizeof(*w));
    if (!w)
        return NULL;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->wake, NULL);
    w->completions = event_new(core->base, -1, 0, run_completions, w);
    w->threads = calloc(threads, sizeof(*w->threads));
    w->jobs_total = glv_metrics_get(core->metrics, "glv_worker_jobs_total", GLV_METRIC_COUNTER,
                                    "Jobs run by the worker pool", NULL);
    if (!w->completions || !w->threads) {
        glv_workers_free(w);
        return NULL;
    }
    for (unsigned i = 0; i < threads; i++) {
        if (pthread_create(&w->threads[i], NULL, worker_main, w) != 0) {
            glv_workers_free(w);
            return NULL;
        }
        w->nthreads++;
    }
    return w;
}

void glv_workers_free(glv_workers *w)
{
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_broadcast(&w->wake);
    pthread_mutex_unlock(&w->lock);
    for (unsigned i = 0; i < w->nthreads; i++)
        pthread_join(w->threads[i], NULL);
    struct job *lists[2] = {queue_take_all(&w->queued), queue_take_all(&w->finished)};
    for (int i = 0; i < 2; i++) {
        while (lists[i]) {
            struct job *n = lists[i]->next;
            free(lists[i]);
            lists[i] = n;
        }
    }
    if (w->completions)
        event_free(w->completions);
    free(w->threads);
    pthread_cond_destroy(&w->wake);
    pthread_mutex_destroy(&w->lock);
    free(w);
}

int glv_workers_submit(glv_workers *w, glv_work_fn work, glv_callback_fn done, void *arg)
{
    if (!work)
        return -EINVAL;
    struct job *j = malloc(sizeof(*j));
    if (!j)
        return -ENOMEM;
    j->work = work;
    j->done = done;
    j->arg = arg;
    pthread_mutex_lock(&w->lock);
    queue_push(&w->queued, j);
    w->pending++;
    pthread_cond_signal(&w->wake);
    pthread_mutex_unlock(&w->lock);
    glv_metric_add(w->jobs_total, 1);
    return 0;
}

size_t glv_workers_pending(glv_workers *w)
{
    pthread_mutex_lock(&w->lock);
    size_t n = w->pending;
    pthread_mutex_unlock(&w->lock);
    return n;
}

static int host_work(glv_plugin *p, glv_work_fn work, glv_callback_fn done, void *arg)
{
    int rc = glv_workers_submit(p->core->workers, work, done, arg);
    if (rc < 0)
        return glv_fail(p, rc, "cannot submit work to the worker pool");
    return 0;
}

void glv_workers_fill_host(glv_host *h)
{
    h->work = host_work;
    glv_password_fill_host(h);
}
