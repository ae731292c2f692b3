// Linux only: see threading_fatal.c. Nothing to call from Swift.
#pragma once
