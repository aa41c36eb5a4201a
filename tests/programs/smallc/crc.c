/* crc.c - CRC-32 (IEEE, reflected), bit by bit. */
#include "parts.h"

unsigned
crc32_of(const char *s)
{
	unsigned crc = 0xffffffffu;

	for (; *s != '\0'; s++) {
		crc ^= (unsigned char)*s;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0xedb88320u & -(crc & 1));
	}
	return ~crc;
}
