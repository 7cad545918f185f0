// "Copy link to this view" (st.components.v2): copies the page's address as it is now. Every control that decides
// what the page shows is bound to the query string, so the address is the view. Where the browser refuses the
// clipboard (a server reached over plain http, a denied permission), the address is shown, selected, to copy by hand.

export default function ({ parentElement }) {
  if (parentElement.querySelector(".rnnlab-link")) return;
  const root = document.createElement("div");
  root.className = "rnnlab-link";
  const button = document.createElement("button");
  button.type = "button";
  button.textContent = "Copy link to this view";
  button.title = "The address of this page with its controls as they are now: whoever opens it sees the same view.";
  const status = document.createElement("span");
  status.className = "rnnlab-link-status";
  status.setAttribute("role", "status");
  const box = document.createElement("input");
  box.className = "rnnlab-link-box";
  box.readOnly = true;
  box.hidden = true;
  box.setAttribute("aria-label", "Link to this view");
  button.addEventListener("click", async () => {
    const url = window.location.href;
    box.value = url;
    try {
      await navigator.clipboard.writeText(url);
      box.hidden = true;
      status.textContent = "Copied.";
    } catch (e) {
      box.hidden = false;
      box.focus();
      box.select();
      status.textContent = "Copy it from the box (Ctrl+C).";
    }
  });
  root.append(button, status, box);
  parentElement.append(root);
}
