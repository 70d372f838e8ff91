import { backoffDelay } from './backoff.js';
import { isRetriable, SESSION_ENDED } from './close-codes.js';
import { loginUrl } from './login-url.js';
import { requestUser } from './user-request.js';
/** A WebSocket to a path of this origin (`ws:`/`wss:` as the page), reconnecting with backoff after abnormal closes. */
export function openSessionSocket(path, options, client) {
    const url = socketUrl(path);
    let socket;
    let attempt = 0;
    let stopped = false;
    let timer;
    const endSession = (reason) => {
        stopped = true;
        (options.onSessionEnd ?? (() => client.navigate(loginUrl())))(reason);
    };
    const afterClose = async (event, opened) => {
        if (event.code === SESSION_ENDED)
            return endSession(event.reason || 'session_ended');
        if (!isRetriable(event.code))
            return;
        // Browsers report a refused handshake (401, 403) as a bare 1006: ask the BFF whether the session is the cause.
        if (!opened) {
            const answer = await requestUser(client).catch(() => undefined);
            if (stopped)
                return;
            if (answer?.user === null)
                return endSession(answer.reason);
        }
        timer = setTimeout(connect, backoffDelay(attempt, options));
        attempt += 1;
    };
    const connect = () => {
        const current = new WebSocket(url, options.protocols);
        let opened = false;
        socket = current;
        current.addEventListener('open', (event) => {
            opened = true;
            attempt = 0;
            options.onOpen?.(event);
        });
        current.addEventListener('message', (event) => options.onMessage?.(event));
        current.addEventListener('close', (event) => {
            if (socket === current)
                socket = undefined;
            options.onClose?.(event);
            if (!stopped)
                void afterClose(event, opened);
        });
    };
    connect();
    return {
        send: (data) => {
            if (socket?.readyState !== WebSocket.OPEN)
                return false;
            socket.send(data);
            return true;
        },
        close: (code = 1000, reason) => {
            stopped = true;
            clearTimeout(timer);
            socket?.close(code, reason);
        },
        get socket() {
            return socket;
        },
    };
}
function socketUrl(path) {
    if (!path.startsWith('/') || path.startsWith('//'))
        throw new TypeError(`websocket path must be a path on this origin: ${path}`);
    const url = new URL(path, window.location.href);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    return url.href;
}
