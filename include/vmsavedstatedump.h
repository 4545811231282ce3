/* vmsavedstatedump.h -- the lower-case spelling of VmSavedStateDump.h, for code that includes it
 * that way (file names are case-sensitive on Linux). Part of winhv. */
#include "VmSavedStateDump.h"
