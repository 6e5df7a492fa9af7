// mudlib.h - the paths every part of the mudlib agrees on.
#ifndef MUDLIB_H
#define MUDLIB_H

#define MASTER_OB      "/secure/master"
#define LOGIN_OB       "/secure/login"
#define PLAYER_OB      "/std/player"
#define ROOM_OB        "/std/room"
#define OBJECT_OB      "/std/object"
#define START_ROOM     "/domains/start/square"
#define VOID_ROOM      "/domains/start/void"

// The character the operator's console (neolith -c) logs in as: always
// an admin, no password, and not a name telnet users can take.
#define CONSOLE_NAME   "operator"

#define PLAYER_SAVE_DIR "/data/players/"
#define CMD_DIR         "/cmds/"
#define ADMIN_CMD_DIR   "/cmds/admin/"
#define EVAL_DIR        "/tmp_eval/"
#define LOG_DIR         "/log/"

#endif
