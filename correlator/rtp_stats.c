#include "correlator.h"
