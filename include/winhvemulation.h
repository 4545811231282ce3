/* winhvemulation.h -- the lower-case spelling of WinHvEmulation.h, for code that includes it
 * that way (file names are case-sensitive on Linux). Part of winhv. */
#include "WinHvEmulation.h"
