/* finish.h - ending a FastCGI request without waiting on the web server
 *
 * libfcgi ends a request by half-closing the connection and waiting (up
 * to 2 s) until the web server closes its end, reading and discarding
 * whatever it still sends: unread input left behind at close() could make
 * a TCP peer reset the connection and drop the answer. The process cannot
 * accept the next request meanwhile, so each request also waits for a turn
 * of the web server's event loop. When the server has sent all of the
 * request's input, nothing more can arrive for it and the wait protects
 * nothing: sl_fcgi_finish() then closes at once.
 */
#ifndef SLUICE_FCGI_FINISH_H
#define SLUICE_FCGI_FINISH_H

#include <fcgiapp.h>

/*
 * Flush rq's answer and end the request, as FCGX_Finish_r() does. `got`
 * is the number of bytes of stdin the application read. When stdin has
 * ended (seen, or `got` is all CONTENT_LENGTH declares and the record that
 * ends stdin follows), the connection is closed without libfcgi's wait;
 * otherwise, and for a connection the server keeps (FCGI_KEEP_CONN),
 * libfcgi ends the request itself.
 */
void sl_fcgi_finish(FCGX_Request *rq, unsigned long long got);

#endif
