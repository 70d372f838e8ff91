// The demo API's live feed through the BFF: the socket is bound to the session, so when the session ends anywhere
// (a sign-out in another tab, an admin revocation) the BFF closes it with 1008 and the reason. This panel shows that
// close instead of leaving the page.
const SHOWN = 6;

export function startLiveFeed(bff, section, signInUrl) {
  const slot = (name) => section.querySelector(`[data-slot="${name}"]`);
  const state = (text, className = '') => {
    slot('state').textContent = text;
    slot('state').className = `status ${className}`;
  };
  let lastClose;
  let ticks = 0;

  const socket = bff.websocket('/api/live', {
    onOpen: () => state('open', 'ok'),
    onMessage: (event) => {
      const message = JSON.parse(event.data);
      if (message.kind === 'tick') section.dataset.ticks = String((ticks += 1));
      const text = message.kind === 'echo' ? `echo “${message.text}”` : message.kind;
      const item = document.createElement('li');
      item.textContent = `${new Date(message.at).toLocaleTimeString()} ${text} (as ${message.user ?? 'nobody'})`;
      slot('messages').prepend(item);
      while (slot('messages').children.length > SHOWN) slot('messages').lastElementChild.remove();
    },
    onClose: (event) => {
      lastClose = event;
      state(`closed ${event.code}`, 'bad');
    },
    onSessionEnd: (reason) => {
      const ended = slot('ended');
      const link = document.createElement('a');
      link.href = signInUrl;
      link.textContent = 'Sign in again';
      ended.replaceChildren(`Closed by the BFF with ${lastClose?.code ?? 1008}: session ended: ${reason}. `, link);
      ended.hidden = false;
      slot('send').hidden = true;
    },
  });

  slot('send').addEventListener('submit', (event) => {
    event.preventDefault();
    socket.send(new FormData(event.target).get('text'));
  });
}
