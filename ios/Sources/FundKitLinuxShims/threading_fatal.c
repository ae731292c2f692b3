// Linux only (Package.swift declares this target on Linux): Debian trixie's swiftlang 6.0.3
// ships a libswiftObservation.so that needs `swift::threading::fatal(const char *, ...)`,
// which its libswiftCore.so does not export (it is hidden there; only the static
// libswiftCore.a has it). Any program that uses Observation (@Observable) then fails to
// link. This defines the symbol with the runtime's own meaning: print the message, abort.
// It is called only on a fatal threading error inside the Swift runtime.
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "FundKitLinuxShims.h"

__attribute__((visibility("default"), noreturn)) void fundkit_swift_threading_fatal(const char *format, ...)
    __asm__("_ZN5swift9threading5fatalEPKcz");

void fundkit_swift_threading_fatal(const char *format, ...) {
    va_list args;
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    abort();
}
