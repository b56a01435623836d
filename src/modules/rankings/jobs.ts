// Rankings learn from trade (paid lines and their refunds), the catalogue (launches) and penalties
// (brushing findings) through the outbox.
import { registerConsumer } from '../../kernel/outbox';
import { linesOf } from '../trade';
import { recordFakeTradeFinding, recordPaidLines, recordProduct, recordRefunds } from './rankings';

const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);

registerConsumer('rankings.trade', ['order.paid', 'refund.refunded'], async (tx, event) => {
  const orderId = str(event.payload.orderId);
  if (!orderId) return;
  const lines = (await linesOf(tx, [orderId])).get(orderId) ?? [];
  if (event.topic === 'order.paid') {
    const shopId = str(event.payload.shopId);
    const buyerId = str(event.payload.buyerId);
    if (!shopId || !buyerId) return;
    await recordPaidLines(tx, { orderId, shopId, buyerId }, lines, event.occurredAt);
  } else {
    await recordRefunds(tx, lines);
  }
});

registerConsumer('rankings.catalog', ['product.created', 'product.published'], async (tx, event) => {
  const productId = str(event.payload.productId);
  const shopId = str(event.payload.shopId);
  const categoryId = str(event.payload.categoryId);
  if (!productId || !shopId || !categoryId) return;
  await recordProduct(tx, {
    productId,
    shopId,
    categoryId,
    launchedAt: event.topic === 'product.published' ? event.occurredAt : null,
  });
});

registerConsumer('rankings.penalties', ['shop.penalty_points_added'], async (tx, event) => {
  const recordId = str(event.payload.recordId);
  const shopId = str(event.payload.shopId);
  if (event.payload.reason !== 'fake_trade' || !recordId || !shopId) return;
  await recordFakeTradeFinding(tx, recordId, shopId, event.occurredAt);
});
