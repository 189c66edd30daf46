-- tools.lua - the contract with the tools image (docs/images.md).
-- A DevServer runs the user's image as it is, which may have no sshd, no
-- libc of its own and no entry for uid 1000. The tools image carries a
-- relocated OpenSSH server and a static busybox under SOURCE_DIR; the
-- "tools" init container copies that tree into an emptyDir mounted at DIR in
-- every container, the "login" init container (the user's image, run by the
-- tree's busybox) writes passwd/group files naming the login user, and the
-- main container mounts those over /etc/passwd and /etc/group and runs
-- ENTRYPOINT, which execs sshd in the foreground. Nothing is written into the
-- image. Paths here must match images/tools (scripts/images builds it).
local tools = {}

tools.VOLUME = "devserver-tools"
tools.DIR = "/devserver"
tools.SOURCE_DIR = "/opt/devserver-tools"
-- the tree's own installer, run by its static busybox (a plain `cp -a` as
-- uid 1000 would complain once per file that it cannot keep root's ownership)
tools.COPY_COMMAND = {
  tools.SOURCE_DIR .. "/bin/busybox", "sh", tools.SOURCE_DIR .. "/libexec/install", tools.DIR,
}
tools.PREPARE_LOGIN = tools.DIR .. "/bin/prepare-login"
-- the `activity` container: the tools image's own tree, no volume needed
tools.ACTIVITY_COMMAND = {
  tools.SOURCE_DIR .. "/bin/busybox", "sh", tools.SOURCE_DIR .. "/libexec/activity",
}
tools.ENTRYPOINT = tools.DIR .. "/bin/entrypoint"
tools.SSHD = tools.DIR .. "/sbin/sshd"
tools.RUN_DIR = tools.DIR .. "/run"
-- the entrypoint writes `SetEnv` lines here for the variables named in
-- SESSION_ENV_VAR (sshd gives sessions a fresh environment); sshd_config
-- includes it
tools.SESSION_ENV_FILE = tools.RUN_DIR .. "/session-env.conf"
tools.SESSION_ENV_VAR = "DEVSERVER_SESSION_ENV"
-- written by prepare-login, mounted over the image's files
tools.PASSWD = "etc/passwd"
tools.GROUP = "etc/group"

-- The login user every DevServer has, whatever its image, and its home
-- (prepare-login writes it into the passwd entry).
tools.USER = "dev"
tools.USER_ID = 1000
tools.HOME = "/home/dev"

return tools
