#ifndef INCIDENTD_CLIBPQ_SHIM_H
#define INCIDENTD_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
