/* gif.h - the 43-byte transparent GIF the ceilings answer with, the same
 * bytes as Sluice's GET /pixel (bench only). */
#ifndef BENCH_GIF_H
#define BENCH_GIF_H

#define BENCH_GIF_HEADERS "Status: 200 OK\r\nContent-Type: image/gif\r\n" \
	"Content-Length: 43\r\nCache-Control: no-store\r\n\r\n"

static const unsigned char bench_gif[43] = {
	'G', 'I', 'F', '8', '9', 'a', 1, 0, 1, 0, 0x80, 1, 0, 0, 0, 0,
	0xff, 0xff, 0xff, '!', 0xf9, 4, 1, 0, 0, 0, 0, ',', 0, 0, 0, 0,
	1, 0, 1, 0, 0, 2, 2, 'D', 1, 0, ';',
};

#endif /* BENCH_GIF_H */
