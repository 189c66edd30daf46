/* attr.h - compiler attributes the project uses by name.
 *
 * DS_MUST_USE marks a function whose result the caller must look at: one
 * that returns an error code (0 or a negative ERR_*) the caller has to act
 * on, or a pointer that is NULL on failure or must be freed. The build turns
 * an ignored result into an error (-Werror); a deliberate ignore is written
 * DS_IGNORE_RESULT(f(...)) with a comment saying why. (A plain (void) cast
 * does not silence GCC's warn_unused_result - GCC bug 66425 - while the
 * negation inside the macro uses the value, so both GCC and clang accept
 * it.)
 *
 * Not on the buf_append* family, nor on builders that only append to a
 * struct buf (kube_path, kube_escape): their errors are sticky (buf.h), so
 * a builder appends everything and checks buf_error or the last append once.
 * Not on error_set/error_prefix/cli_fail_err either: they return the code
 * only so that `return error_set(...)` reads well.
 */
#ifndef DEVSERVER_CORE_ATTR_H
#define DEVSERVER_CORE_ATTR_H

#if defined(__GNUC__) || defined(__clang__)
#define DS_MUST_USE __attribute__((warn_unused_result))
#else
#define DS_MUST_USE
#endif

/* Evaluates expr and drops its DS_MUST_USE result on purpose. */
#define DS_IGNORE_RESULT(expr) ((void)!(expr))

#endif
