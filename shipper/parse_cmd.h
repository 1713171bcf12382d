/*
 * parse_cmd — `sluice-shipper parse`: runs files (or stdin) through exactly
 * the record path an input of that type uses (sl_pipe) and prints the events
 * as JSON lines, without Kafka. For trying parser configs and golden tests.
 */
#ifndef SH_PARSE_CMD_H
#define SH_PARSE_CMD_H

/* argv[0] is "parse". Returns the process exit status. */
int sh_parse_main(int argc, char **argv);

#endif
