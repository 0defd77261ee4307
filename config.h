/* config.h.  Generated from config.h.in by configure.  */
/* config.h.in.  Generated from configure.ac by autoheader.  */

/* Define to 1 if you have the declaration of `MADV_COLLAPSE', and to 0 if you
   don't. */
#define HAVE_DECL_MADV_COLLAPSE 1

/* Define to 1 if you have the declaration of `MADV_POPULATE_WRITE', and to 0
   if you don't. */
#define HAVE_DECL_MADV_POPULATE_WRITE 1

/* Define to 1 if you have the declaration of `MAP_FIXED_NOREPLACE', and to 0
   if you don't. */
#define HAVE_DECL_MAP_FIXED_NOREPLACE 1

/* Define to 1 if you have the declaration of `MAP_HUGE_1GB', and to 0 if you
   don't. */
#define HAVE_DECL_MAP_HUGE_1GB 1

/* Define to 1 if you have the declaration of `MAP_HUGE_2MB', and to 0 if you
   don't. */
#define HAVE_DECL_MAP_HUGE_2MB 1

/* Define to 1 if you have the declaration of `PR_SET_VMA', and to 0 if you
   don't. */
#define HAVE_DECL_PR_SET_VMA 1

/* Define to 1 if you have the <dlfcn.h> header file. */
#define HAVE_DLFCN_H 1

/* Define to 1 if you have the <inttypes.h> header file. */
#define HAVE_INTTYPES_H 1

/* Define to 1 if you have the `pkey_mprotect' function. */
#define HAVE_PKEY_MPROTECT 1

/* Define to 1 if you have the `reallocarray' function. */
#define HAVE_REALLOCARRAY 1

/* Define to 1 if you have the `secure_getenv' function. */
#define HAVE_SECURE_GETENV 1

/* Define to 1 if you have the <stdint.h> header file. */
#define HAVE_STDINT_H 1

/* Define to 1 if you have the <stdio.h> header file. */
#define HAVE_STDIO_H 1

/* Define to 1 if you have the <stdlib.h> header file. */
#define HAVE_STDLIB_H 1

/* Define to 1 if you have the <strings.h> header file. */
#define HAVE_STRINGS_H 1

/* Define to 1 if you have the <string.h> header file. */
#define HAVE_STRING_H 1

/* Define to 1 if you have the <sys/stat.h> header file. */
#define HAVE_SYS_STAT_H 1

/* Define to 1 if you have the <sys/types.h> header file. */
#define HAVE_SYS_TYPES_H 1

/* Define to 1 if you have the <unistd.h> header file. */
#define HAVE_UNISTD_H 1

/* soname of jemalloc */
#define LIBJEMALLOC_SONAME "libjemalloc.so.2"

/* soname of libunwind, loaded RTLD_LOCAL */
#define LIBUNWIND_SONAME "libunwind.so.8"

/* Define to the sub-directory where libtool stores uninstalled libraries. */
#define LT_OBJDIR ".libs/"

/* Name of package */
#define PACKAGE "ptfreeze"

/* Define to the address where bug reports for this package should be sent. */
#define PACKAGE_BUGREPORT ""

/* Define to the full name of this package. */
#define PACKAGE_NAME "ptfreeze"

/* Define to the full name and version of this package. */
#define PACKAGE_STRING "ptfreeze 0.1.0"

/* Define to the one symbol short name of this package. */
#define PACKAGE_TARNAME "ptfreeze"

/* Define to the home page for this package. */
#define PACKAGE_URL ""

/* Define to the version of this package. */
#define PACKAGE_VERSION "0.1.0"

/* Define to 1 if all of the C90 standard headers exist (not just the ones
   required in a freestanding environment). This macro is provided for
   backward compatibility; new code need not use it. */
#define STDC_HEADERS 1

/* Version number of package */
#define VERSION "0.1.0"
