/* winhvplatformdefs.h -- the lower-case spelling of WinHvPlatformDefs.h, for code that includes it
 * that way (file names are case-sensitive on Linux). Part of winhv. */
#include "WinHvPlatformDefs.h"
