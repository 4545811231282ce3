/* vmsavedstatedumpdefs.h -- the lower-case spelling of VmSavedStateDumpDefs.h, for code that
 * includes it that way (file names are case-sensitive on Linux). Part of winhv. */
#include "VmSavedStateDumpDefs.h"
