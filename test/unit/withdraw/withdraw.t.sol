// SPDX-License-Identifier: MIT
pragma solidity ^0.8.28;

import {ICreditLedger} from "../../../contracts/interfaces/ICreditLedger.sol";
import {Errors} from "../../../contracts/libraries/Errors.sol";
import {OpenParams, RentalTerms, Usage} from "../../../contracts/types/DataTypes.sol";
import {RevertingReceiver} from "../../mocks/RevertingReceiver.sol";
import {ED25519_ACCESS_KEY} from "../../utils/AccessKeys.sol";
import {Base} from "../../utils/Base.t.sol";

contract Withdraw_Unit_Test is Base {
    /// @dev Settles a 1 h rental at full uptime and collects its fee to the treasury's credit.
    function creditTreasury() internal returns (uint256 fee_) {
        RentalTerms memory t = openRental(ONE_HOUR_DEPOSIT, "x");
        vm.warp(t.startedAt + 1 hours);
        settleAs(renter, t, 1, uint64(block.timestamp), 1 hours);
        uint64[] memory ids = new uint64[](1);
        ids[0] = offerId;
        escrow.collectFees(ids);
        (, fee_,) = split(t, 1 hours);
        assertEq(escrow.credit(treasury, address(usdc)), fee_);
    }

    function test_RevertWhen_AmountAboveCredit() external {
        uint256 credit = creditTreasury();
        vm.expectRevert(
            abi.encodeWithSelector(
                Errors.GpuEscrow_InsufficientCredit.selector, treasury, address(usdc), credit + 1, credit
            )
        );
        vm.prank(treasury);
        escrow.withdraw(address(usdc), credit + 1);
        // Nobody else can take it.
        vm.expectRevert(
            abi.encodeWithSelector(Errors.GpuEscrow_InsufficientCredit.selector, keeper, address(usdc), 1, 0)
        );
        vm.prank(keeper);
        escrow.withdraw(address(usdc), 1);
    }

    function test_WhenERC20() external {
        uint256 credit = creditTreasury();
        vm.expectEmit(address(escrow));
        emit ICreditLedger.Withdrawn(treasury, address(usdc), treasury, credit - 1);
        vm.prank(treasury);
        escrow.withdraw(address(usdc), credit - 1);
        assertEq(usdc.balanceOf(treasury), credit - 1);
        assertEq(escrow.credit(treasury, address(usdc)), 1);
        vm.prank(treasury);
        escrow.withdraw(address(usdc), 1);
        assertEq(escrow.credit(treasury, address(usdc)), 0);
    }

    function _nativeRefundCredited() internal returns (RevertingReceiver r, uint256 refundAmount) {
        uint64 o = createOfferIn(address(0), 1e18);
        r = new RevertingReceiver();
        vm.deal(address(r), 10 ether);
        vm.recordLogs();
        r.execute(
            address(escrow),
            2e18,
            abi.encodeCall(escrow.open, (OpenParams({offerId: o, deposit: 2e18, salt: "n"}), ED25519_ACCESS_KEY))
        );
        RentalTerms memory t = openedTerms();
        vm.warp(t.startedAt + 1800);
        Usage memory u = usageAt(1, uint64(block.timestamp), 1800);
        r.execute(address(escrow), 0, abi.encodeCall(escrow.stopAndSettle, (t, u, signUsage(t, u))));
        refundAmount = 2e18 - 0.5e18;
        assertEq(escrow.credit(address(r), address(0)), refundAmount);
    }

    function test_RevertWhen_NativeReceiverRefuses() external {
        (RevertingReceiver r, uint256 amount) = _nativeRefundCredited();
        vm.expectRevert(abi.encodeWithSelector(Errors.GpuEscrow_NativeTransferFailed.selector, address(r), amount));
        r.execute(address(escrow), 0, abi.encodeCall(escrow.withdraw, (address(0), amount)));
        assertEq(escrow.credit(address(r), address(0)), amount);
    }

    function test_WhenNativeAccepted() external {
        _nativeRefundCredited();
        uint64[] memory ids = new uint64[](1);
        ids[0] = 2;
        escrow.collectFees(ids);
        uint256 fee_ = 0.05e18;
        assertEq(escrow.credit(treasury, address(0)), fee_);
        vm.prank(treasury);
        escrow.withdraw(address(0), fee_);
        assertEq(treasury.balance, fee_);
        assertEq(escrow.credit(treasury, address(0)), 0);
    }

    function test_WhenAmountZero() external {
        vm.prank(keeper);
        escrow.withdraw(address(usdc), 0);
        assertEq(usdc.balanceOf(keeper), 0);
    }
}
