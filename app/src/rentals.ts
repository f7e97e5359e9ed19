// The renter's rentals page: running rentals (their live cards, refreshed every tick), rentals frozen by a dispute
// (following the dispute), the history with ratings and receipts, and withdrawable credit.
import type { App } from "./app";
import { creditsView } from "./credits";
import { disputeCard } from "./disputes";
import { renderHistory } from "./historyTable";
import { isOpen } from "./rental";
import { runningRentalCard, type LiveCard } from "./runningRental";
import { h, replace } from "./ui";

export function rentalsView(app: App): { el: HTMLElement; tick: () => Promise<void> } {
  const active = h("div", { testid: "active-rentals" });
  const history = h("div", { testid: "history" });
  let cards: LiveCard[] = [];

  const render = () => {
    const open = app.history.filter(isOpen);
    cards = open.map((r) => (r.frozen ? disputeCard(app, r) : runningRentalCard(app, r)));
    replace(
      active,
      open.length === 0 ? h("p", { class: "empty" }, "No running rental.") : null,
      ...cards.map((c) => c.el),
    );
    renderHistory(app, history);
  };
  app.onChange(render);
  render();

  const tick = async () => {
    const now = Date.now();
    // One block for every card: the quotes are computed at its timestamp, from the state it holds.
    const block = cards.length > 0 ? await app.chain.pub.getBlock() : undefined;
    await Promise.all(cards.map((c) => c.tick(block, now)));
  };

  return {
    el: h(
      "section",
      {},
      h("h2", {}, "Running rentals"),
      active,
      h("h2", {}, "History and receipts"),
      history,
      h("h2", {}, "Withdrawable credit"),
      creditsView(app),
    ),
    tick,
  };
}
