// the prebuilt Linux binary's floor on glibc: libstdc++ and libgcc are linked in statically (CMakeLists.txt),
// and their objects, built against this Debian's glibc 2.36, reference symbols that older glibcs lack.
// the linker's --wrap sends those references here, where each is served by an old symbol version:
// the binary then needs no GLIBC_ version newer than GLIBC_2.25 (getentropy; tools/prebuild.mjs checks).
// linked only with those flags (Linux, GNU toolchain, x86-64); nothing here is called by the kernels.
#if defined(__linux__) && defined(__x86_64__) && defined(FFNN_GLIBC_COMPAT)

#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstring>

// the versions of glibc 2.2.5 (x86-64's first): pthread functions moved into libc in 2.34 under new
// versions, exp/log/pow got new versions (without the SVID error wrapper) in 2.29, memcpy in 2.14
__asm__(".symver ffnn_old_pthread_create, pthread_create@GLIBC_2.2.5");
__asm__(".symver ffnn_old_pthread_detach, pthread_detach@GLIBC_2.2.5");
__asm__(".symver ffnn_old_pthread_join, pthread_join@GLIBC_2.2.5");
__asm__(".symver ffnn_old_pthread_once, pthread_once@GLIBC_2.2.5");
__asm__(".symver ffnn_old_pthread_key_create, pthread_key_create@GLIBC_2.2.5");
__asm__(".symver ffnn_old_pthread_key_delete, pthread_key_delete@GLIBC_2.2.5");
__asm__(".symver ffnn_old_pthread_getspecific, pthread_getspecific@GLIBC_2.2.5");
__asm__(".symver ffnn_old_pthread_setspecific, pthread_setspecific@GLIBC_2.2.5");
__asm__(".symver ffnn_old_pthread_mutex_trylock, pthread_mutex_trylock@GLIBC_2.2.5");
__asm__(".symver ffnn_old_exp, exp@GLIBC_2.2.5");
__asm__(".symver ffnn_old_log, log@GLIBC_2.2.5");
__asm__(".symver ffnn_old_pow, pow@GLIBC_2.2.5");
__asm__(".symver ffnn_old_memcpy, memcpy@GLIBC_2.2.5");

extern "C" {

int ffnn_old_pthread_create(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
int ffnn_old_pthread_detach(pthread_t);
int ffnn_old_pthread_join(pthread_t, void**);
int ffnn_old_pthread_once(pthread_once_t*, void (*)(void));
int ffnn_old_pthread_key_create(pthread_key_t*, void (*)(void*));
int ffnn_old_pthread_key_delete(pthread_key_t);
void* ffnn_old_pthread_getspecific(pthread_key_t);
int ffnn_old_pthread_setspecific(pthread_key_t, const void*);
int ffnn_old_pthread_mutex_trylock(pthread_mutex_t*);
double ffnn_old_exp(double);
double ffnn_old_log(double);
double ffnn_old_pow(double, double);
void* ffnn_old_memcpy(void*, const void*, size_t);

int __wrap_pthread_create(pthread_t* t, const pthread_attr_t* a, void* (*f)(void*), void* arg) {
  return ffnn_old_pthread_create(t, a, f, arg);
}
int __wrap_pthread_detach(pthread_t t) { return ffnn_old_pthread_detach(t); }
int __wrap_pthread_join(pthread_t t, void** r) { return ffnn_old_pthread_join(t, r); }
int __wrap_pthread_once(pthread_once_t* o, void (*f)(void)) { return ffnn_old_pthread_once(o, f); }
int __wrap_pthread_key_create(pthread_key_t* k, void (*d)(void*)) { return ffnn_old_pthread_key_create(k, d); }
int __wrap___pthread_key_create(pthread_key_t* k, void (*d)(void*)) { return ffnn_old_pthread_key_create(k, d); }
int __wrap_pthread_key_delete(pthread_key_t k) { return ffnn_old_pthread_key_delete(k); }
void* __wrap_pthread_getspecific(pthread_key_t k) { return ffnn_old_pthread_getspecific(k); }
int __wrap_pthread_setspecific(pthread_key_t k, const void* v) { return ffnn_old_pthread_setspecific(k, v); }
int __wrap_pthread_mutex_trylock(pthread_mutex_t* m) { return ffnn_old_pthread_mutex_trylock(m); }
double __wrap_exp(double x) { return ffnn_old_exp(x); }
double __wrap_log(double x) { return ffnn_old_log(x); }
double __wrap_pow(double x, double y) { return ffnn_old_pow(x, y); }
void* __wrap_memcpy(void* d, const void* s, size_t n) { return ffnn_old_memcpy(d, s, n); }

// libstdc++ skips atomic reference counts when this says the process has one thread (2.32); 0 is
// always correct (node has several threads anyway)
char __wrap___libc_single_threaded = 0;

// std::random_device's "default" token (2.36); ffnn never draws from it. the getrandom system call
// (Linux 3.17) serves it without glibc
uint32_t __wrap_arc4random(void) {
  uint32_t v = 0;
  if (syscall(SYS_getrandom, &v, sizeof v, 0) != static_cast<long>(sizeof v)) v = 0;
  return v;
}

// the unwinder's lookup of the object holding a code address (2.35), which every C++ exception
// (a node-addon-api error thrown to JavaScript) goes through: the same answer from dl_iterate_phdr,
// which every glibc has
namespace {
struct Found {
  std::uintptr_t pc;
  dl_find_object* out;
  bool ok;
};

int visit(dl_phdr_info* info, size_t, void* data) {
  Found* f = static_cast<Found*>(data);
  std::uintptr_t lo = UINTPTR_MAX, hi = 0;
  bool inside = false;
  const void* eh = nullptr;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& p = info->dlpi_phdr[i];
    const std::uintptr_t start = info->dlpi_addr + p.p_vaddr;
    if (p.p_type == PT_LOAD) {
      if (start < lo) lo = start;
      if (start + p.p_memsz > hi) hi = start + p.p_memsz;
      if (f->pc >= start && f->pc < start + p.p_memsz) inside = true;
    } else if (p.p_type == PT_GNU_EH_FRAME) {
      eh = reinterpret_cast<const void*>(start);
    }
  }
  if (!inside) return 0;
  std::memset(f->out, 0, sizeof *f->out);
  f->out->dlfo_map_start = reinterpret_cast<void*>(lo);
  f->out->dlfo_map_end = reinterpret_cast<void*>(hi);
  f->out->dlfo_eh_frame = const_cast<void*>(eh);
  f->ok = true;
  return 1;
}
}  // namespace

int __wrap__dl_find_object(void* pc, dl_find_object* out) {
  Found f{reinterpret_cast<std::uintptr_t>(pc), out, false};
  dl_iterate_phdr(visit, &f);
  return f.ok ? 0 : -1;
}

}  // extern "C"

#endif
