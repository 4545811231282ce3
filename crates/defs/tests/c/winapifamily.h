/* Empty stand-in for the Windows SDK header winapifamily.h: winhv_shim.h defines
 * what winhvemulation.h needs from it. */
