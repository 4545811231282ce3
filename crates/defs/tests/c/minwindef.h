/* Empty stand-in for the Windows SDK header minwindef.h: winhv_shim.h defines
 * what winhvemulation.h needs from it. */
