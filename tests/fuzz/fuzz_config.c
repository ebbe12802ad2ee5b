/* libFuzzer target: the configuration reader on any file content. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[] = "/tmp/rtw-fuzz-config-XXXXXX";
	struct errlist errs = {0};
	struct config *conf;
	int fd = mkstemp(path);

	if (fd < 0)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	close(fd);
	conf = config_load(path, &errs);
	/* Either a configuration or at least one error, never neither. */
	if ((conf == NULL) == (errs.count == 0))
		abort();
	config_free(conf);
	errlist_free(&errs);
	unlink(path);
	return 0;
}
