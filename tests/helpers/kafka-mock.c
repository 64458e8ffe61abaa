/* kafka-mock.c - a Kafka cluster for the tests: librdkafka's mock cluster
 * (a real Kafka wire-protocol server, in process) on loopback.
 *
 *   kafka-mock [-b BROKERS] [-p PARTITIONS] [-t TOPIC]... -f BOOTSTRAP_FILE
 *              [-c CONTROL_FIFO]
 *
 * Starts BROKERS brokers (default 3), creates each TOPIC with PARTITIONS
 * partitions (default 4; others are created on first use), writes the
 * bootstrap list to BOOTSTRAP_FILE and serves until SIGTERM or SIGINT.
 * Lines written to CONTROL_FIFO steer it:
 *   down          take every broker down      up      bring them all back
 *   down N        take broker N down          up N    bring broker N back
 *   topic NAME    create a topic
 * Each command is acknowledged by a line "ok ..." on stdout.
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void set_all(rd_kafka_mock_cluster_t *mc, int brokers, int up)
{
	int id;

	for (id = 1; id <= brokers; id++) {
		if (up)
			rd_kafka_mock_broker_set_up(mc, id);
		else
			rd_kafka_mock_broker_set_down(mc, id);
	}
}

static void command(rd_kafka_mock_cluster_t *mc, int brokers, int partitions,
		    char *line)
{
	char *arg;
	int id;

	line[strcspn(line, "\r\n")] = '\0';
	arg = strchr(line, ' ');
	if (arg)
		*arg++ = '\0';
	if (!strcmp(line, "down") || !strcmp(line, "up")) {
		int up = line[0] == 'u';

		if (!arg) {
			set_all(mc, brokers, up);
		} else {
			id = atoi(arg);
			if (up)
				rd_kafka_mock_broker_set_up(mc, id);
			else
				rd_kafka_mock_broker_set_down(mc, id);
		}
	} else if (!strcmp(line, "topic") && arg) {
		rd_kafka_mock_topic_create(mc, arg, partitions, 1);
	} else if (*line) {
		printf("error unknown command %s\n", line);
		fflush(stdout);
		return;
	}
	printf("ok %s%s%s\n", line, arg ? " " : "", arg ? arg : "");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *bootstrap_file = NULL, *fifo = NULL;
	const char *topics[32];
	int ntopics = 0, brokers = 3, partitions = 4, opt, fd = -1, i;
	char errstr[256], buf[4096];
	size_t have = 0;
	rd_kafka_conf_t *conf;
	rd_kafka_mock_cluster_t *mc;
	rd_kafka_t *rk;
	struct sigaction sa;
	FILE *fp;

	while ((opt = getopt(argc, argv, "b:p:t:f:c:")) != -1) {
		switch (opt) {
		case 'b': brokers = atoi(optarg); break;
		case 'p': partitions = atoi(optarg); break;
		case 't':
			if (ntopics < 32)
				topics[ntopics++] = optarg;
			break;
		case 'f': bootstrap_file = optarg; break;
		case 'c': fifo = optarg; break;
		default:
			fprintf(stderr, "usage: kafka-mock [-b N] [-p N] [-t TOPIC]... -f FILE [-c FIFO]\n");
			return 2;
		}
	}
	if (!bootstrap_file || brokers < 1 || partitions < 1) {
		fprintf(stderr, "kafka-mock: -f FILE is required\n");
		return 2;
	}
	conf = rd_kafka_conf_new();
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
	if (!rk) {
		fprintf(stderr, "kafka-mock: %s\n", errstr);
		return 1;
	}
	mc = rd_kafka_mock_cluster_new(rk, brokers);
	if (!mc) {
		fprintf(stderr, "kafka-mock: cannot create the mock cluster\n");
		return 1;
	}
	for (i = 0; i < ntopics; i++)
		rd_kafka_mock_topic_create(mc, topics[i], partitions, 1);

	fp = fopen(bootstrap_file, "w");
	if (!fp || fprintf(fp, "%s\n", rd_kafka_mock_cluster_bootstraps(mc)) < 0 ||
	    fclose(fp)) {
		fprintf(stderr, "kafka-mock: cannot write %s\n", bootstrap_file);
		return 1;
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	if (fifo) {
		if (mkfifo(fifo, 0600) && errno != EEXIST) {
			fprintf(stderr, "kafka-mock: mkfifo %s: %s\n", fifo, strerror(errno));
			return 1;
		}
		/* Read-write, so the FIFO never reports end of file. */
		fd = open(fifo, O_RDWR | O_NONBLOCK);
	}
	printf("ready %s\n", rd_kafka_mock_cluster_bootstraps(mc));
	fflush(stdout);
	while (!stop) {
		ssize_t n;
		char *nl;

		if (fd < 0) {
			pause();
			continue;
		}
		n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0) {
			usleep(20000);
			continue;
		}
		have += (size_t)n;
		buf[have] = '\0';
		while ((nl = strchr(buf, '\n'))) {
			*nl = '\0';
			command(mc, brokers, partitions, buf);
			have -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, have + 1);
		}
		if (have == sizeof(buf) - 1)
			have = 0;
	}
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(rk);
	if (fd >= 0)
		close(fd);
	return 0;
}
