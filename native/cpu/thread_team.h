// Runs one function on every allowed logical CPU at once, each OpenMP thread
// pinned to its own CPU so first-touch placement and measurement agree.
#pragma once

#include <omp.h>
#include <pthread.h>
#include <sched.h>

#include <vector>

namespace tppverify::cpu {

template <typename Fn>
void onEveryCpu(const std::vector<int>& cpus, Fn&& fn) {
  const int threads = int(cpus.size());
  cpu_set_t callerMask;
  CPU_ZERO(&callerMask);
  pthread_getaffinity_np(pthread_self(), sizeof(callerMask), &callerMask);
#pragma omp parallel num_threads(threads)
  {
    const int thread = omp_get_thread_num();
    cpu_set_t mask;
    CPU_ZERO(&mask);
    CPU_SET(cpus[thread], &mask);
    pthread_setaffinity_np(pthread_self(), sizeof(mask), &mask);
    fn(thread, threads);
  }
  // The calling thread belongs to Node's thread pool: give it its old mask back.
  pthread_setaffinity_np(pthread_self(), sizeof(callerMask), &callerMask);
}

}  // namespace tppverify::cpu
