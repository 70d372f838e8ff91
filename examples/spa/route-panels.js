// The demo's routes with rules: `/api/admin` needs the admins group (a 403 otherwise) and `/api/step-up` a second
// factor. The client follows a step-up's login_url; a flag in sessionStorage repeats the call once back from the IdP.
const STEP_UP_PENDING = 'example-spa:step-up-pending';

export function startRoutePanels(bff, section) {
  const admin = section.querySelector('[data-panel="admin"]');
  const stepUp = section.querySelector('[data-panel="step-up"]');
  onCall(admin, () => call(bff, admin, '/api/admin'));
  onCall(stepUp, () => {
    sessionStorage.setItem(STEP_UP_PENDING, '1');
    return call(bff, stepUp, '/api/step-up');
  });
  if (sessionStorage.getItem(STEP_UP_PENDING)) {
    sessionStorage.removeItem(STEP_UP_PENDING);
    // Once only: should the sign-in not have reached the second factor, show the 401 rather than go round again.
    void call(bff, stepUp, '/api/step-up', { loginOnUnauthorized: false });
  }
}

function onCall(panel, run) {
  const button = panel.querySelector('[data-action="call"]');
  button.addEventListener('click', async () => {
    button.disabled = true;
    try {
      await run();
    } finally {
      button.disabled = false;
    }
  });
}

async function call(bff, panel, path, init = {}) {
  const response = await bff.fetch(path, { ...init, headers: { Accept: 'application/json' } });
  const body = await response.json().catch(() => null);
  if (panel.dataset.panel === 'step-up') sessionStorage.removeItem(STEP_UP_PENDING);
  const status = panel.querySelector('[data-slot="status"]');
  status.textContent = `HTTP ${response.status}`;
  status.className = `status ${response.ok ? 'ok' : 'bad'}`;
  status.hidden = false;
  const shown = panel.querySelector('[data-slot="body"]');
  shown.textContent = response.ok ? `reached the upstream at ${body?.path} as ${body?.identity?.['x-consumer-username']}` : JSON.stringify(body, null, 2);
  shown.hidden = false;
}
