/* The state of the "good" fixture module, shared with the loader tests so
 * they can look inside an instance. Everything lives in this struct: the
 * module has no globals, so two instances never share a counter. */
#ifndef RTW_TEST_GOOD_MODULE_H
#define RTW_TEST_GOOD_MODULE_H

#include <limits.h>
#include <stdint.h>

#define GOOD_FINI_MARKER "fini-ran" /* created in state_dir by fini */

struct good_state {
	int handled;		  /* events handed to handle() */
	uint64_t last_seq;	  /* seq of the last one */
	long long tag;		  /* config "tag", or -1 when absent */
	unsigned abi_version;	  /* host->abi_version seen by init */
	char name[128];		  /* host->name seen by init */
	char state_dir[PATH_MAX]; /* host->state_dir seen by init */
	int state_dir_existed;	  /* was state_dir an existing directory? */
};

#endif
