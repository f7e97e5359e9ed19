// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICreditLedger} from "../../contracts/interfaces/ICreditLedger.sol";
import {Errors} from "../../contracts/libraries/Errors.sol";
import {OpenParams, RentalTerms, Usage} from "../../contracts/types/DataTypes.sol";
import {BlacklistToken} from "../mocks/BlacklistToken.sol";
import {FeeOnTransferToken} from "../mocks/FeeOnTransferToken.sol";
import {MockERC20} from "../mocks/MockERC20.sol";
import {NoReturnToken} from "../mocks/NoReturnToken.sol";
import {RevertingReceiver} from "../mocks/RevertingReceiver.sol";
import {ED25519_ACCESS_KEY} from "../utils/AccessKeys.sol";
import {Base} from "../utils/Base.t.sol";

/// @notice SPEC 4.1: tokens that misbehave. USDT's missing return values are handled, fee-on-transfer tokens are
/// refused, and a payout that cannot be delivered never blocks the other party: it is credited instead.
contract WeirdTokens_Integration_Test is Base {
    function test_NoReturnToken_WorksEndToEnd() external {
        NoReturnToken usdt = new NoReturnToken();
        uint64 o = createOfferIn(address(usdt), PRICE);
        usdt.mint(renter, 10 * uint256(ONE_HOUR_DEPOSIT));
        vm.prank(renter);
        usdt.approve(address(escrow), type(uint256).max);

        RentalTerms memory a = openRentalFrom(renter, o, 2 * ONE_HOUR_DEPOSIT, "a");
        RentalTerms memory b = openRentalFrom(renter, o, ONE_HOUR_DEPOSIT, "b");
        vm.prank(renter);
        escrow.extend(a, ONE_HOUR_DEPOSIT);
        vm.warp(a.startedAt + 1800 + CHALLENGE_WINDOW);
        checkpointAs(keeper, a, 1, uint64(a.startedAt + 1800), 1800);
        stopAndSettleNow(a, 2, 1800 + CHALLENGE_WINDOW);
        vm.warp(b.startedAt + 1 hours + GRACE_PERIOD + 1);
        escrow.refund(b);

        (uint256 c, uint256 f, uint256 net) = split(a, 1800 + CHALLENGE_WINDOW);
        assertEq(usdt.balanceOf(renter), 10 * uint256(ONE_HOUR_DEPOSIT) - c, "refunds pushed");
        vm.prank(provider);
        escrow.claimEarnings(o);
        assertEq(usdt.balanceOf(payout), net);
        vm.prank(treasury);
        escrow.withdraw(address(usdt), f);
        assertEq(usdt.balanceOf(treasury), f);
        assertEq(usdt.balanceOf(address(escrow)), 0);
    }

    function test_FeeOnTransferToken_RefusedAtOpen() external {
        FeeOnTransferToken fot = new FeeOnTransferToken();
        uint64 o = createOfferIn(address(fot), 1e18);
        fot.mint(renter, 100e18);
        vm.prank(renter);
        fot.approve(address(escrow), type(uint256).max);
        vm.expectRevert(
            abi.encodeWithSelector(Errors.GpuEscrow_FeeOnTransferToken.selector, address(fot), 2e18, 1.98e18)
        );
        vm.prank(renter);
        escrow.open(OpenParams({offerId: o, deposit: 2e18, salt: "fot"}), ED25519_ACCESS_KEY);
        assertEq(fot.balanceOf(address(escrow)), 0);
    }

    function _blacklistSetup() internal returns (BlacklistToken busd, uint64 o, RentalTerms memory t) {
        busd = new BlacklistToken();
        o = createOfferIn(address(busd), PRICE);
        busd.mint(renter, 10 * uint256(ONE_HOUR_DEPOSIT));
        vm.prank(renter);
        busd.approve(address(escrow), type(uint256).max);
        t = openRentalFrom(renter, o, 2 * ONE_HOUR_DEPOSIT, "b");
        busd.setBlacklisted(renter, true);
    }

    function test_BlacklistedRenter_SettleCreditsRefund() external {
        (BlacklistToken busd, uint64 o, RentalTerms memory t) = _blacklistSetup();
        vm.warp(t.startedAt + 2 hours + CHALLENGE_WINDOW);
        (uint256 c,, uint256 net) = split(t, 3000);
        uint256 refundAmount = 2 * uint256(ONE_HOUR_DEPOSIT) - c;
        Usage memory u = usageAt(1, uint64(t.startedAt + 2 hours), 3000);
        bytes memory sig = signUsage(t, u);
        vm.expectEmit(address(escrow));
        emit ICreditLedger.Credited(renter, address(busd), refundAmount);
        vm.prank(keeper);
        escrow.settle(t, u, sig);

        assertEq(escrow.credit(renter, address(busd)), refundAmount, "refund credited");
        assertEq(escrow.offerAccount(o).net, net, "provider paid all the same");
        vm.prank(provider);
        escrow.claimEarnings(o);
        assertEq(busd.balanceOf(payout), net);

        // Still blacklisted: the withdrawal fails and the credit stays.
        vm.expectRevert("Blacklistable: account is blacklisted");
        vm.prank(renter);
        escrow.withdraw(address(busd), refundAmount);
        assertEq(escrow.credit(renter, address(busd)), refundAmount);

        busd.setBlacklisted(renter, false);
        vm.prank(renter);
        escrow.withdraw(address(busd), refundAmount);
        assertEq(busd.balanceOf(renter), 10 * uint256(ONE_HOUR_DEPOSIT) - c);
        assertEq(escrow.credit(renter, address(busd)), 0);
    }

    function test_BlacklistedRenter_RefundCredited() external {
        (BlacklistToken busd,, RentalTerms memory t) = _blacklistSetup();
        vm.warp(t.startedAt + 2 hours + GRACE_PERIOD + 1);
        escrow.refund(t);
        assertEq(escrow.credit(renter, address(busd)), 2 * uint256(ONE_HOUR_DEPOSIT));
    }

    function test_BlacklistedPayout_ClaimRevertsUntilPayoutChanged() external {
        (BlacklistToken busd, uint64 o, RentalTerms memory t) = _blacklistSetup();
        busd.setBlacklisted(renter, false);
        busd.setBlacklisted(payout, true);
        vm.warp(t.startedAt + 100);
        stopAndSettleNow(t, 1, 100);
        vm.expectRevert("Blacklistable: account is blacklisted");
        vm.prank(provider);
        escrow.claimEarnings(o);
        address other = makeAddr("other payout");
        vm.prank(provider);
        escrow.setPayout(other);
        vm.prank(provider);
        escrow.claimEarnings(o);
        (,, uint256 net) = split(t, 100);
        assertEq(busd.balanceOf(other), net);
    }

    function test_NativeCoin_RevertingRenterRefundCredited() external {
        uint64 o = createOfferIn(address(0), 1e18);
        RevertingReceiver r = new RevertingReceiver();
        vm.deal(address(r), 5 ether);
        vm.recordLogs();
        r.execute(
            address(escrow),
            2e18,
            abi.encodeCall(escrow.open, (OpenParams({offerId: o, deposit: 2e18, salt: "r"}), ED25519_ACCESS_KEY))
        );
        RentalTerms memory t = openedTerms();
        assertEq(t.renter, address(r));

        // The keeper settles: the refund cannot be pushed, so it is credited; the provider is paid regardless.
        vm.warp(t.startedAt + 2 hours + CHALLENGE_WINDOW);
        Usage memory u = usageAt(1, uint64(t.startedAt + 2 hours), 3600);
        bytes memory sig = signUsage(t, u);
        vm.expectEmit(address(escrow));
        emit ICreditLedger.Credited(address(r), address(0), 1e18);
        vm.prank(keeper);
        escrow.settle(t, u, sig);
        assertEq(escrow.credit(address(r), address(0)), 1e18);
        assertEq(escrow.offerAccount(o).net, 0.9e18);
        assertEq(escrow.offerAccount(o).fees, 0.1e18);
        vm.prank(provider);
        escrow.claimEarnings(o);
        assertEq(payout.balance, 0.9e18);
        assertEq(address(escrow).balance, 1e18 + 0.1e18);
    }

    function test_NativeCoin_AcceptingRenterRefundPushed() external {
        uint64 o = createOfferIn(address(0), 1e18);
        vm.deal(renter, 5 ether);
        vm.recordLogs();
        vm.prank(renter);
        escrow.open{value: 2e18}(OpenParams({offerId: o, deposit: 2e18, salt: "n"}), ED25519_ACCESS_KEY);
        RentalTerms memory t = openedTerms();
        vm.warp(t.startedAt + 1800);
        stopAndSettleNow(t, 1, 1800);
        assertEq(renter.balance, 5 ether - 0.5e18);
        assertEq(escrow.credit(renter, address(0)), 0);
    }

    function test_SixAndEighteenDecimals_BillExactly() external {
        MockERC20 dai = new MockERC20("Dai", "DAI", 18);
        uint64 o18 = createOfferIn(address(dai), 2.5e18);
        dai.mint(renter, 100e18);
        vm.prank(renter);
        dai.approve(address(escrow), type(uint256).max);
        uint64[4] memory secs = [uint64(1), 7, 1441, 3599];
        // ceil(2.5e6 × s / 3600) and ceil(2.5e18 × s / 3600), written out.
        uint256[4] memory cost6 = [uint256(695), 4862, 1_000_695, 2_499_306];
        uint256[4] memory cost18 =
            [uint256(694_444_444_444_445), 4_861_111_111_111_112, 1_000_694_444_444_444_445, 2_499_305_555_555_555_556];
        for (uint256 i; i < secs.length; ++i) {
            RentalTerms memory a = openRental(ONE_HOUR_DEPOSIT, bytes32(i));
            RentalTerms memory b = openRentalFrom(renter, o18, 2.5e18, bytes32(i));
            vm.warp(a.startedAt + secs[i]);
            uint256 six = usdc.balanceOf(renter);
            uint256 eighteen = dai.balanceOf(renter);
            stopAndSettleNow(a, 1, secs[i]);
            stopAndSettleNow(b, 1, secs[i]);
            assertEq(ONE_HOUR_DEPOSIT - (usdc.balanceOf(renter) - six), cost6[i], "6 decimals");
            assertEq(2.5e18 - (dai.balanceOf(renter) - eighteen), cost18[i], "18 decimals");
        }
    }
}
