/*
 * fuzz_session.h - the session the exec/ fuzz targets check entries
 * against: the fake project of fuzz_project(), its /tmp and one
 * sandbox.writable directory.  Included by the targets that need it.
 */
#ifndef FUZZ_SESSION_H
#define FUZZ_SESSION_H

#include "exec-int.h"
#include "fuzz_project.h"

static struct exec_session *session(void)
{
	static struct exec_session s;
	const struct fuzz_project *fp;

	if (s.root)
		return &s;
	fp = fuzz_project();
	s.root = fp->root;
	s.cairn_dir = fp->cairn_dir;
	s.tmp_lower = fp->tmp;
	s.session_id = "fuzz";
	strvec_push(&s.writable, fp->writable);
	return &s;
}

#endif
