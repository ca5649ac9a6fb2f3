#include "sandbox-int.h"
#include <unistd.h>
int sandbox_seccomp_install(void)
{
	return err_set(CAIRN_ERROR, "no recorder yet");
}
void sandbox_trace_release(struct sandbox_trace *t)
{
	(void)t;
}

int sandbox_tracer_start(struct sandbox_tracer **out, int listener)
{
	(void)out;
	close(listener);
	return -1;
}
int sandbox_tracer_finish(struct sandbox_tracer *t, struct sandbox_trace *out, int force)
{
	(void)t;
	(void)out;
	(void)force;
	return 0;
}
