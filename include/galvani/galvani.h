/* galvani — everything a plugin needs: #include <galvani/galvani.h> */
#ifndef GALVANI_GALVANI_H
#define GALVANI_GALVANI_H
#include "charger.h"
#include "common.h"
#include "config.h"
#include "db.h"
#include "hooks.h"
#include "host.h"
#include "http.h"
#include "plugin.h"
#include "service.h"
#include "websocket.h"
#endif
