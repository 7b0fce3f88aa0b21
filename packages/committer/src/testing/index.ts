// Real git servers for other packages' tests (`@shiplog/committer/testing`): git http-backend behind TLS
// and sshd on loopback. Nothing here loads nodegit or Redis.
export { httpBackendPath, startHttpsGitServer, type HttpsGitServer } from "./https-git-server.js";
export { sshdPath, startSshGitServer, type SshGitServer } from "./ssh-git-server.js";
