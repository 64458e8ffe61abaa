/* trivial-cgi.c - the CGI ceiling: a C program that only prints the
 * 43-byte GIF, to set sluice.cgi's cost per request beside it. */
#include <stdio.h>

#include "gif.h"

int main(void)
{
	fputs(BENCH_GIF_HEADERS, stdout);
	fwrite(bench_gif, 1, sizeof(bench_gif), stdout);
	return 0;
}
